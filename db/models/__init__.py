"""The tables, one module per part of the domain, all on db.base.Base's metadata.

Importing this package registers every table (Alembic's env.py, create_all in the tests), and
re-exports the table classes so callers write `from db.models import Call`.
"""

from db.base import Base, UTCDateTime, utcnow
from db.models.audit import AuditEntry
from db.models.calls import Call, Caller, CallEvent, Capture, Recording, StatusCallback
from db.models.offers import Offer
from db.models.people import AgentStatusChange, LoginSession, User
from db.models.queues import Callback, QueueEntry
from db.models.rollups import AdviserLegRollup, AdviserRollup, IvrRollup, QueueRollup, RollupState
from db.models.surveys import SurveyResponse
from db.models.texts import TextMessage
from db.states import AGENT_STATUSES, ROLES, STATUS_RANK

__all__ = [
    "AGENT_STATUSES", "ROLES", "STATUS_RANK", "AdviserLegRollup", "AdviserRollup", "AgentStatusChange",
    "AuditEntry", "Base", "Call", "CallEvent", "Callback", "Caller", "Capture", "IvrRollup", "LoginSession",
    "Offer", "QueueEntry", "QueueRollup", "Recording", "RollupState", "StatusCallback", "SurveyResponse",
    "TextMessage", "UTCDateTime", "User", "utcnow",
]
