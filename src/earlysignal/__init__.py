"""earlysignal: early-warning risk modelling for children's services, schools and
youth justice.

Only light modules are imported here so that ``import earlysignal`` stays fast;
heavy stages are imported from their own packages (``earlysignal.features`` …).
"""

from earlysignal.errors import ConfigError, DataError, EarlysignalError

__all__ = ["ConfigError", "DataError", "EarlysignalError", "__version__"]
__version__ = "0.1.0"
