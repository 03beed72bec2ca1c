"""Writing to the host's log (tagged with the typeclass and object; rate-limited by the host)."""

from wit_world.imports import log as _log


def _write(level, message):
    _log.log(level, str(message))


def debug(message):
    """Logs at debug level."""
    _write(_log.Level.DEBUG, message)


def info(message):
    """Logs at info level."""
    _write(_log.Level.INFO, message)


def warn(message):
    """Logs a warning."""
    _write(_log.Level.WARN, message)


def error(message):
    """Logs an error."""
    _write(_log.Level.ERROR, message)
