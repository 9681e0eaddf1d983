"""The words for numbers that speech/numbers.py reads, per language: digits, teens, tens, hundreds,
"double"/"triple", linking words, the homophones a recognizer writes for digits, and Korean's
Sino-Korean and native numerals with the endings that follow them."""

from __future__ import annotations

DIGITS = {
    "en": ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
    "es": ["cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve"],
    "fr": ["zero", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf"],
}
EXTRA_DIGITS = {
    "en": {"nought": 0, "naught": 0},
    "es": {"un": 1, "una": 1},
    "fr": {"une": 1},
}
TEENS = {  # complete numbers that take no units after them
    "en": ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
           "eighteen", "nineteen"],
    "es": ["diez", "once", "doce", "trece", "catorce", "quince", "dieciseis", "diecisiete",
           "dieciocho", "diecinueve"],
    "fr": ["dix", "onze", "douze", "treize", "quatorze", "quinze", "seize"],
}
ES_TWENTIES = ["veinte", "veintiuno", "veintidos", "veintitres", "veinticuatro", "veinticinco",
                "veintiseis", "veintisiete", "veintiocho", "veintinueve"]
TENS = {
    "en": ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"],
    "es": ["veinte", "treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta",
           "noventa"],
    "fr": ["vingt", "trente", "quarante", "cinquante", "soixante", "septante", "huitante",
           "nonante"],
}
HUNDRED = {"en": {"hundred"}, "es": set(), "fr": {"cent", "cents"}}
THOUSAND = {"en": {"thousand"}, "es": {"mil"}, "fr": {"mille"}}
ES_HUNDREDS = {"cien": 100, "ciento": 100, "doscientos": 200, "trescientos": 300,
                "cuatrocientos": 400, "quinientos": 500, "seiscientos": 600, "setecientos": 700,
                "ochocientos": 800, "novecientos": 900}
REPEAT = {"en": {"double": 2, "triple": 3}, "es": {"doble": 2, "triple": 3},
           "fr": {"double": 2, "triple": 3}, "ko": {}}
LINK = {"en": {"and"}, "es": {"y"}, "fr": {"et"}, "ko": set()}
# Words a recognizer outputs for a digit; trusted only next to a real number.
HOMOPHONES = {
    "en": {"oh": 0, "o": 0, "won": 1, "to": 2, "too": 2, "tree": 3, "for": 4, "fore": 4,
           "ate": 8},
    "es": {"do": 2, "tre": 3, "sei": 6, "nieve": 9},
    "fr": {"hein": 1, "de": 2, "si": 6, "scie": 6, "cet": 7, "cette": 7, "set": 7,
           "dis": 10, "dit": 10, "vin": 20, "vain": 20, "sans": 100, "sang": 100},
    "ko": {},
}

KO_SINO = {"영": 0, "공": 0, "빵": 0, "일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6,
            "륙": 6, "칠": 7, "팔": 8, "구": 9}
KO_MULT = {"십": 10, "백": 100, "천": 1000}
KO_NATIVE = {"하나": 1, "둘": 2, "셋": 3, "넷": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8,
              "아홉": 9, "열": 10}
KO_ENDINGS = ("입니다", "이에요", "예요", "에요", "이요", "요", "번")
