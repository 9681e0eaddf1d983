"""The layout ARCHITECTURE.md describes, checked on the source: imports go one way
(ivr/callcenter -> speech -> db -> config, callcenter -> ivr.telephony the one crossing), no import
cycles between modules, nothing imports run.py, and no module over 300 lines."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("config", "db", "speech", "ivr", "callcenter")
MAX_LINES = 300
# What each package may import of ours (ARCHITECTURE.md, "Packages").
MAY_IMPORT = {
    "config": set(),
    "db": {"config"},
    "speech": {"db", "config"},
    "ivr.telephony": {"config"},
    "ivr": {"ivr.telephony", "speech", "db", "config", "ivr"},
    "callcenter": {"ivr.telephony", "speech", "db", "config", "callcenter"},
}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Our modules that `name` imports, anywhere in the file (a function-level import is still one).
    `from pkg import mod` depends on pkg.mod; `from mod import name` on mod."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known else node.module
                       for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(name, path, set(found)) for name, path in found.items()}


def owner(module: str) -> str:
    return "ivr.telephony" if module.startswith("ivr.telephony") else module.split(".")[0]


def test_imports_go_the_way_the_architecture_says():
    wrong = sorted(f"{m} imports {t}" for m, targets in graph().items() for t in targets
                   if owner(t) not in MAY_IMPORT[owner(m)] and owner(t) != owner(m))
    assert wrong == []


def test_there_are_no_import_cycles_between_modules():
    edges = graph()
    # a package's __init__ importing its own modules (explicit registration) is not a cycle
    edges = {m: {t for t in ts if not (t.startswith(m + ".") or m.startswith(t + "."))}
             for m, ts in edges.items()}
    index, low, stack, on, cycles = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v), on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                cycles.append(sorted(part))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    assert cycles == [], "\n".join(" <-> ".join(c) for c in cycles)


def test_nothing_imports_run_py():
    assert sorted(m for m, ts in graph().items() if "run" in ts) == []


def test_no_module_holds_more_than_300_lines():
    long = {str(p.relative_to(ROOT)): n for p in [*modules().values(), ROOT / "run.py"]
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}
