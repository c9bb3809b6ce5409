"""input_normalization: what a data preprocessor does to a BGR image."""
import torch
from mmengine.model import ImgDataPreprocessor

from shufflenet_det.models import input_normalization


def test_input_normalization_says_what_the_preprocessor_does():
    """Flipping the channels and normalising as it says gives the
    preprocessor's own output, with and without normalisation."""
    image = torch.randint(0, 256, (3, 5, 7), dtype=torch.uint8)
    cases = [
        (ImgDataPreprocessor(mean=[1., 2., 3.], std=[4., 5., 6.], bgr_to_rgb=True),
         dict(mean=[1., 2., 3.], std=[4., 5., 6.], bgr_to_rgb=True, normalize=True)),
        (ImgDataPreprocessor(),
         dict(mean=[0.] * 3, std=[1.] * 3, bgr_to_rgb=False, normalize=False)),
    ]
    for preprocessor, expected in cases:
        normalization = input_normalization(preprocessor)
        assert normalization == expected
        x = image.float()
        if normalization['bgr_to_rgb']:
            x = x.flip(0)
        mean, std = (torch.tensor(normalization[key]).view(-1, 1, 1)
                     for key in ('mean', 'std'))
        actual = preprocessor(dict(inputs=[image]), training=False)['inputs'][0]
        torch.testing.assert_close(actual, (x - mean) / std)
