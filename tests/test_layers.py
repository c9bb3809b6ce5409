import pytest
import torch

from shufflenet_det.models import channel_shuffle


@pytest.mark.parametrize('groups,channels', [(1, 6), (2, 8), (3, 12), (4, 8), (8, 64)])
def test_channel_shuffle_matches_paper_definition(groups, channels):
    x = torch.randn(2, channels, 5, 7)
    n = channels // groups
    # Paper Sec. 3.1: channels indexed (group, k) are reshaped to (g, n),
    # transposed to (n, g) and flattened, so output position k * g + group
    # holds input channel group * n + k.
    source = [group * n + k for k in range(n) for group in range(groups)]
    torch.testing.assert_close(channel_shuffle(x, groups), x[:, source],
                               rtol=0, atol=0)


def test_channel_shuffle_is_a_permutation_not_identity():
    x = torch.arange(12.).view(1, 12, 1, 1)
    out = channel_shuffle(x, 3).flatten().tolist()
    assert out[:4] == [0., 4., 8., 1.]
    assert sorted(out) == x.flatten().tolist()


def test_channel_shuffle_channels_last_input():
    x = torch.randn(2, 12, 4, 6).to(memory_format=torch.channels_last)
    expected = channel_shuffle(x.contiguous(), 3)
    torch.testing.assert_close(channel_shuffle(x, 3), expected, rtol=0, atol=0)


def test_channel_shuffle_rejects_indivisible_channels():
    with pytest.raises(ValueError, match='channels=10 .*groups=3'):
        channel_shuffle(torch.randn(1, 10, 2, 2), 3)
