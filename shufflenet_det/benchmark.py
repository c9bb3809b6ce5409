"""Latency of backbones, measured so that ratios between them are fair: same
run, same thread count, models interleaved round by round (drift hits all
alike), warm-up, then the median."""
import statistics
import time

import torch
from mmengine.analysis import FlopAnalyzer

# ShuffleNet v1 paper, Table 8 (one Snapdragon 820 core): ms at 224x224,
# 480x640, 720x1280.
PAPER_TABLE8_MS = {
    'ShuffleNet v1 0.5x g3': (15.2, 87.4, 260.1),
    'ShuffleNet v1 1x g3': (37.8, 222.2, 684.5),
    'ShuffleNet v1 2x g3': (108.8, 617.0, 1857.6),
    'MobileNet v1 1.0': (110.0, 612.0, 1879.2),
}
TABLE8_SIZES = ((224, 224), (480, 640), (720, 1280))


def conv_mult_adds(model, size):
    """Conv + FC multiply-adds (G) of one forward at ``size`` (h, w)."""
    analyzer = FlopAnalyzer(model, torch.zeros(1, 3, *size))
    analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    by_operator = analyzer.by_operator()
    return sum(by_operator.get(op, 0) for op in ('conv', 'addmm', 'linear')) / 1e9


def median_latency(models, size, repeats=10, warmup=3, channels_last=False):
    """Median ms of a batch-1 forward per model, interleaved round by round."""
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    x = torch.randn(1, 3, *size).contiguous(memory_format=memory_format)
    for model in models.values():
        model.eval()  # some train() overrides (mmdet's MobileNetV2) return None
        model.to(memory_format=memory_format)
    times = {name: [] for name in models}
    with torch.inference_mode():
        for round_ in range(warmup + repeats):
            for name, model in models.items():
                start = time.perf_counter()
                model(x)
                if round_ >= warmup:
                    times[name].append(1000 * (time.perf_counter() - start))
    return {name: statistics.median(t) for name, t in times.items()}
