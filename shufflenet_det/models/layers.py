"""Building blocks shared by the backbones."""
from torch import Tensor


def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """Shuffle channels so that each group sees every other group's output.

    ShuffleNet v1, Sec. 3.1: reshape the channel axis to (groups, n),
    transpose it to (n, groups) and flatten it back.
    """
    batch, channels, height, width = x.shape
    if channels % groups:
        raise ValueError(f'channels={channels} is not divisible by groups={groups}')
    x = x.view(batch, groups, channels // groups, height, width)
    return x.transpose(1, 2).reshape(batch, channels, height, width)


def check_choice(name, value, allowed):
    """Raise a ValueError naming ``value`` and ``allowed`` if it is not in it."""
    if value not in allowed:
        raise ValueError(f'{name}={value!r} is not supported; allowed: {allowed}')
