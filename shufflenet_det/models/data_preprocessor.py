"""What a detector's data preprocessor does to a BGR image."""


def input_normalization(preprocessor) -> dict:
    """How ``preprocessor`` (mmengine's ``ImgDataPreprocessor``, such as
    mmdet's ``DetDataPreprocessor``) prepares an image for the network.

    Returns ``dict(mean, std, bgr_to_rgb, normalize)``: the keys of the
    config's ``data_preprocessor`` (``mean`` and ``std`` lists of floats,
    0 and 1 per channel when it does not normalise; ``bgr_to_rgb``: whether
    it flips the channels) and whether it normalises at all. mmengine keeps
    the last two in private attributes; this is the one place that reads
    them.
    """
    normalize = bool(getattr(preprocessor, '_enable_normalize', False))
    return dict(
        mean=preprocessor.mean.flatten().tolist() if normalize else [0.] * 3,
        std=preprocessor.std.flatten().tolist() if normalize else [1.] * 3,
        bgr_to_rgb=bool(getattr(preprocessor, '_channel_conversion', False)),
        normalize=normalize)
