"""Apple's Metal (MPS): chainrule does not run on it, so it is never available."""


def is_available():
    return False


def is_built():
    return False
