"""Argument checking shared by the models."""


def check_choice(name, value, allowed):
    """Raise a ValueError naming ``value`` and ``allowed`` if it is not in it."""
    if value not in allowed:
        raise ValueError(f'{name}={value!r} is not supported; allowed: {allowed}')
