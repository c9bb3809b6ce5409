"""Convert an ImageNet checkpoint of torchvision, mmpretrain, Megvii's
ShuffleNet-Series, timm or ThunderNet (SNet) into this project's backbone
layout.

The result loads with ``init_cfg=dict(type='Pretrained', checkpoint=DST)``
into the printed backbone config, and into the C4 ``StageHead`` with the same
``init_cfg``. It records its source, backbone config and input
normalisation, and loading it into a model that differs is an error. The
architecture is read from the checkpoint; --groups, --widen-factor and --arch make it
an error if the checkpoint is anything else.

Run it as ``shufflenet-det-convert-weights``, ``python -m
shufflenet_det.tools.convert_weights`` or ``python tools/convert_weights.py``.
"""
import argparse
import sys

from ..atomic import check_output_path
from ..converters import CONVERTERS, DATA_PREPROCESSORS
from ..weights import convert_checkpoint, save_converted


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('source', choices=sorted(CONVERTERS), help='who made SRC')
    parser.add_argument('src', help='checkpoint to convert')
    parser.add_argument('dst', help='converted state dict to write')
    parser.add_argument('--groups', type=int, help='expected ShuffleNet v1 groups')
    parser.add_argument('--widen-factor', type=float, help='expected width')
    parser.add_argument('--arch', type=int, help='expected SNet arch (49, 146, 535)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace DST if it exists')
    args = parser.parse_args()
    try:
        check_output_path(args.dst, args.src)
        converted = convert_checkpoint(args.source, args.src, groups=args.groups,
                                       widen_factor=args.widen_factor,
                                       arch=args.arch)
        save_converted(converted, args.source, args.dst, args.overwrite)
    except (ValueError, FileNotFoundError, FileExistsError) as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    print(f'wrote {len(converted.state_dict)} tensors to {args.dst}')
    print(f'backbone: {converted.backbone_cfg}')
    print(f'data_preprocessor: {DATA_PREPROCESSORS[args.source]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
