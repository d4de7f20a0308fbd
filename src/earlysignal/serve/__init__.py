"""The practitioner review service: the caseload and risk summaries of a run
behind a login, with teams and roles, an audit log of every access, and
professional judgements recorded beside each summary.

It is a Django application configured in code (:func:`configure`); importing
this package does not import Django. The pages come from the report room's
templates through the shared presentation kit, so that the service and the static
reports say the same things in the same words.
"""

from earlysignal.serve._board import review_feedback
from earlysignal.serve._settings import (
    DB_FILE,
    ServeError,
    configure,
    database,
    migrate,
)

__all__ = ["DB_FILE", "ServeError", "configure", "database", "migrate",
           "review_feedback"]
