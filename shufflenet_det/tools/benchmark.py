"""Latency of models measured so that ratios between them are fair: same run,
same thread count, models interleaved round by round (drift hits all alike),
warm-up, then the median."""
import copy
import statistics
import time
import warnings

import torch
from mmengine.structures import InstanceData

from ..deploy.optimize import optimize_for_inference
from .complexity import count_mult_adds

# ShuffleNet v1 paper, Table 8 (one Snapdragon 820 core): ms at 224x224,
# 480x640, 720x1280.
PAPER_TABLE8_MS = {
    'ShuffleNet v1 0.5x g3': (15.2, 87.4, 260.1),
    'ShuffleNet v1 1x g3': (37.8, 222.2, 684.5),
    'ShuffleNet v1 2x g3': (108.8, 617.0, 1857.6),
    'MobileNet v1 1.0': (110.0, 612.0, 1879.2),
}
TABLE8_SIZES = ((224, 224), (480, 640), (720, 1280))
# How a model is run:
#   eager       - as built: NCHW, BN layers, PyTorch eager;
#   fast        - optimize_for_inference: BN folded, channels_last, eager;
#   channels_last - memory format only (for models whose BN mmcv cannot fold);
#   torchscript - traced, frozen and torch.jit.optimize_for_inference'd
#                 (conv-BN folding, prepacked oneDNN weights);
#   compiled    - torch.compile (inductor, weights frozen) of the fast model.
MODES = ('eager', 'fast', 'channels_last', 'torchscript', 'compiled')


def conv_mult_adds(model, size):
    """Conv + FC multiply-adds (G) of one forward at ``size`` (h, w)."""
    return count_mult_adds(model, torch.zeros(1, 3, *size)) / 1e9


def prepare(model, mode, example=None):
    """A copy of ``model`` set up to run in ``mode`` (see MODES), eval."""
    model = copy.deepcopy(model)
    model.eval()  # some train() overrides (mmdet's MobileNetV2) return None
    if mode == 'eager':
        return model
    if mode == 'fast':
        return optimize_for_inference(model)
    if mode == 'channels_last':
        return optimize_for_inference(model, fuse_bn=False)
    if mode == 'torchscript':
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter('ignore')
            traced = torch.jit.trace(model, example, strict=False)
            return torch.jit.optimize_for_inference(torch.jit.freeze(traced))
    if mode == 'compiled':
        import torch._dynamo.config as dynamo_config
        import torch._inductor.config as inductor_config
        inductor_config.freezing = True
        # one compilation per model instance and input size, never a fallback
        dynamo_config.recompile_limit = max(dynamo_config.recompile_limit, 256)
        return torch.compile(optimize_for_inference(model), dynamic=False)
    raise ValueError(f'mode={mode!r} is not supported; allowed: {MODES}')


def check_device(parser, device):
    """The benchmark tools' ``--device``: CUDA that is not there is a usage
    error (exit 2), not a traceback."""
    if device.startswith('cuda') and not torch.cuda.is_available():
        parser.error(f'--device {device}: CUDA is not available here')


def clock(cuda=False):
    """Seconds, after the GPU's queued work when ``cuda``."""
    if cuda:
        torch.cuda.synchronize()
    return time.perf_counter()


def median_latency(models, x, repeats=20, warmup=3):
    """Median ms of a forward of ``x`` per model, interleaved round by round."""
    times = {name: [] for name in models}
    with torch.inference_mode():
        for round_ in range(warmup + repeats):
            for name, model in models.items():
                start = clock(x.is_cuda)
                model(x)
                if round_ >= warmup:
                    times[name].append(1000 * (clock(x.is_cuda) - start))
    return {name: statistics.median(t) for name, t in times.items()}


def detector_stage_latency(detectors, repeats=5, warmup=1):
    """Median ms per stage of a two-stage detector's inference, interleaved.

    ``detectors`` maps a name to ``(model, data, proposals)``: a data
    preprocessor's output for one image and the proposals (InstanceData) the
    RoI head gets. The stages are those of mmdet's
    ``TwoStageDetector.predict``: backbone (+ neck), RPN, RoI head. What an
    untrained model's RPN keeps varies by model (from 200 to 6000 boxes into
    NMS), while a trained one keeps its ``nms_pre`` boxes on any real image,
    so the RPN head runs on the features but its proposal step on random
    scores and deltas (the same for models with the same anchors), and the
    RoI head on the given proposals.
    """
    times = {name: dict(backbone=[], rpn=[], roi_head=[]) for name in detectors}
    with torch.inference_mode():
        rpn_outputs = {
            name: random_like(model.rpn_head(model.extract_feat(data['inputs'])))
            for name, (model, data, _) in detectors.items()}
        metas = {name: [sample.metainfo for sample in data['data_samples']]
                 for name, (_, data, _) in detectors.items()}
        for round_ in range(warmup + repeats):
            for name, (model, data, proposals) in detectors.items():
                inputs, samples = data['inputs'], data['data_samples']
                start = clock(inputs.is_cuda)
                features = model.extract_feat(inputs)
                after_backbone = clock(inputs.is_cuda)
                model.rpn_head(features)
                model.rpn_head.predict_by_feat(
                    *rpn_outputs[name], batch_img_metas=metas[name], rescale=False)
                after_rpn = clock(inputs.is_cuda)
                model.roi_head.predict(features, [proposals], samples, rescale=True)
                end = clock(inputs.is_cuda)
                if round_ >= warmup:
                    for stage, ms in (('backbone', after_backbone - start),
                                      ('rpn', after_rpn - after_backbone),
                                      ('roi_head', end - after_rpn)):
                        times[name][stage].append(1000 * ms)
    return {name: {stage: statistics.median(t) for stage, t in stages.items()}
            for name, stages in times.items()}


def random_like(outputs, seed=0):
    """Standard normal tensors of the shapes of ``outputs`` (lists of
    tensors), the same for the same shapes and seed."""
    generator = torch.Generator().manual_seed(seed)
    return [[torch.randn(out.shape, generator=generator).to(out) for out in level]
            for level in outputs]


def random_proposals(image_shape, count, seed=0):
    """``count`` boxes of 16 px to the image size inside ``image_shape``
    (h, w), the same for every detector given the same arguments."""
    generator = torch.Generator().manual_seed(seed)
    height, width = image_shape
    size = torch.rand(count, 2, generator=generator) * (
        torch.tensor([width, height]) - 16) + 16
    corner = torch.rand(count, 2, generator=generator) * (
        torch.tensor([width, height]) - size)
    return InstanceData(bboxes=torch.cat((corner, corner + size), dim=1),
                        scores=torch.rand(count, generator=generator))
