"""The project's speed targets (docs/speed.md, "Targets"), checked on what
the benchmark tools measured: the ``--json`` files of
``tools/benchmark_backbone.py`` (at 480x640) and ``tools/benchmark_detector.py``.
Prints each target met, missed or not measured, every ratio taken within
one run; exit status 1 when one is missed. Not part of the package: the
targets are this project's, not its users'."""
import argparse
import json
import sys

from shufflenet_det.tools.benchmark_detector import label

# Backbones at 480x640: (model, how it runs, reference, at most). 'best
# engine': its fastest fp32 entry anywhere; references: the fastest MobileNet
# v1 anywhere, or in PyTorch (the targets of the PyTorch fast path), or one
# (model, PyTorch mode).
BASELINE = 'MobileNet v1 1.0'
MOBILENET_V1 = (BASELINE, 'timm mobilenetv1_100')
BEST = 'best engine'
ANY_ENGINE, PYTORCH = 'fastest MobileNet v1', 'fastest PyTorch MobileNet v1'
BACKBONE_TARGETS = (
    ('ShuffleNet v1 1x g3', BEST, ANY_ENGINE, 0.35),
    ('ShuffleNet v1 2x g3', BEST, ANY_ENGINE, 1.00),
    ('ShuffleNet v1 1x g3', 'fast', PYTORCH, 0.40),
    ('ShuffleNet v1 2x g3', 'fast', PYTORCH, 0.95),
    (BASELINE, 'fast', PYTORCH, 1.10),
    ('ShuffleNet v1 1x g3', 'fast', ('mmpretrain ShuffleNetV1 1x g3', 'eager'), 0.80),
)
# Backbones in int8: (model, reference: its own fp32 or another model's int8,
# at most), the fastest entry of each in any engine and quantizer; a model's
# dense form (--dense-1x1) is the same network.
BACKBONE_INT8_TARGETS = (
    ('ShuffleNet v1 1x g3', 'fp32', 0.5),
    ('ShuffleNet v2 1x', 'fp32', 0.5),
    ('ShuffleNet v1 1x g3', BASELINE, 0.40),
)
# Detectors: (config, reference, at most), the fastest fp32 entry of each.
SNET146 = 'thundernet/thundernet_snet146_cem-80e_coco-320.py'
TORCHVISION = 'torchvision:fasterrcnn_mobilenet_v3_large_320_fpn'
DETECTOR_TARGETS = (
    ('shufflenet_v1/faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-600.py',
     'mobilenet_v1/faster-rcnn_mobilenet-v1-1.0_c4-1x_coco-600.py', 0.6),
    (SNET146, TORCHVISION, 0.35),
    ('thundernet/thundernet_snet49_cem-80e_coco-320.py', TORCHVISION, 0.2),
    (SNET146, 'shufflenet_v1/faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-300.py', 0.1),
    ('thundernet/thundernet_snet146_cem-s8-80e_coco-320.py', TORCHVISION, 0.5),
)
# Detectors in int8: best int8 / best fp32 at most, for the 600 ShuffleNet
# detectors and every ThunderNet.
DETECTOR_INT8_TARGET = 0.6


def fastest(results, select):
    """The result of the lowest median ms that ``select`` accepts, or None."""
    return min(filter(select, results), key=lambda result: result['ms'][1],
               default=None)


def verdict(label, result, reference, target):
    """``label: ratio (target <= x) met`` (or MISSED, not measured); True
    when missed."""
    if result is None or reference is None:
        print(f'{label}: not measured')
        return False
    ratio = result['ms'][1] / reference['ms'][1]
    missed = ratio > target
    print(f'{label}: {ratio:.2f} (target <= {target:.2f}) '
          f'{"MISSED" if missed else "met"}')
    return missed


def check_backbones(results):
    """The backbone targets on the 480x640 results; True when one is missed."""
    results = [result for result in results if result['size'] == [480, 640]]
    fp32 = [result for result in results if result['precision'] == 'fp32']
    int8 = [result for result in results if result['precision'] == 'int8']
    references = {
        ANY_ENGINE: fastest(fp32, lambda result: result['model'] in MOBILENET_V1),
        PYTORCH: fastest(fp32, lambda result: result['model'] in MOBILENET_V1
                         and result['engine'] == 'torch')}
    print('\ntargets at 480x640 ' + ', '.join(
        f'({label}: {ref["model"]}, {ref["runs_as"]}, {ref["ms"][1]:.1f} ms)'
        for label, ref in references.items() if ref))
    missed = False
    for name, run_as, reference, target in BACKBONE_TARGETS:
        result = fastest(fp32, lambda result: result['model'] == name and (
            run_as == BEST or result['mode'] == run_as))
        if reference not in references:
            model, mode = reference
            reference_result = fastest(fp32, lambda result: result['model'] == model
                                       and result['mode'] == mode)
            reference = f'{model} ({mode})'
        else:
            reference_result = references[reference]
        label = f'- {name} ({result["runs_as"] if result else run_as}) / {reference}'
        missed |= verdict(label, result, reference_result, target)
    if not int8:
        return missed
    print('\nint8 targets at 480x640 (best engine and quantizer each)')
    for name, reference, target in BACKBONE_INT8_TARGETS:
        # the same network in either expression of its 1x1 convolutions
        forms = (name, f'{name} dense')
        result = fastest(int8, lambda result: result['model'] in forms)
        found = f'{result["model"]} int8 ({result["runs_as"]})' if result else \
            f'{name} int8'
        if reference == 'fp32':
            reference_result = fastest(fp32, lambda result: result['model'] == name)
            reference = 'fp32'
        else:
            reference_result = fastest(
                int8, lambda result: result['model'] == reference)
            reference = f'{reference} int8'
        if reference_result:
            reference += f' ({reference_result["runs_as"]})'
        missed |= verdict(f'- {found} / {reference}', result, reference_result, target)
    return missed


def has_int8_target(config):
    """The 600 ShuffleNet detectors and every ThunderNet."""
    return (label(config).startswith('thundernet')
            or ('shufflenet' in config and config.endswith('-600.py')))


def check_detectors(results):
    """The detector targets; True when one is missed."""
    def best(config, precision='fp32'):
        return fastest(results, lambda result: result['model'] == config
                       and result['precision'] == precision)

    print()
    missed = False
    for config, reference, target in DETECTOR_TARGETS:
        name = f'target: {label(config)} / {label(reference)}, best engine each'
        result, base = best(config), best(reference)
        if result and base:
            name += (f' ({result["runs_as"]} {result["ms"][1]:.1f} ms / '
                     f'{base["runs_as"]} {base["ms"][1]:.1f} ms)')
        missed |= verdict(name, result, base, target)
    int8_configs = dict.fromkeys(result['model'] for result in results
                                 if result['precision'] == 'int8')
    for config in filter(has_int8_target, int8_configs):
        missed |= verdict(f'int8 target: {label(config)} int8 / fp32, best engine '
                          'each', best(config, 'int8'), best(config),
                          DETECTOR_INT8_TARGET)
    return missed


CHECKS = dict(benchmark_backbone=check_backbones, benchmark_detector=check_detectors)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('json', nargs='+', help='--json files of '
                        'tools/benchmark_backbone.py or tools/benchmark_detector.py')
    args = parser.parse_args(argv)
    missed = False
    for path in args.json:
        with open(path) as f:
            measured = json.load(f)
        if measured.get('tool') not in CHECKS:
            parser.error(f'{path}: not the --json of a benchmark with targets; '
                         f'allowed: {", ".join(CHECKS)}')
        print(f'{path} ({measured["tool"]}, {measured["device"]}, threads '
              f'{measured["threads"]})')
        missed |= CHECKS[measured['tool']](measured['results'])
    return int(missed)


if __name__ == '__main__':
    sys.exit(main())
