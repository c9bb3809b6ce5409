"""ImageNet weights for the backbones and the C4 ``StageHead``, loaded
strictly: every tensor a module owns comes from the checkpoint, or loading
fails naming what is missing and why; keys of stages the module does not own
(the other side of the C4 split) are skipped without a word.

Converted checkpoints (``tools/convert_weights.py``) describe themselves in
``meta['shufflenet_det']``: the source and backbone arguments of the weights,
checked here against the model that loads them, and their input
normalisation, checked by ``PretrainedInputCheckHook`` before training.
"""
import inspect
import os.path as osp
from collections import OrderedDict

import torch
from mmdet.registry import MODELS
from mmengine.logging import print_log
from mmengine.runner import CheckpointLoader

META_KEY = 'shufflenet_det'
# Keys under which training frameworks nest the weights.
WRAPPER_KEYS = ('state_dict', 'model', 'model_state_dict', 'module')


def torch_load(path):
    """``torch.load`` on the CPU, weights only where this torch has it."""
    if 'weights_only' in inspect.signature(torch.load).parameters:
        return torch.load(path, map_location='cpu', weights_only=True)
    return torch.load(path, map_location='cpu')


def read_checkpoint(path):
    """(state dict, this project's metadata or {}) of a checkpoint.

    Local files load weights-only; URLs go through mmengine's loaders.
    """
    if osp.isfile(path):
        try:
            checkpoint = torch_load(path)
        except Exception as error:
            raise ValueError(f'{path} is not a loadable PyTorch checkpoint (weights '
                             f'only): {type(error).__name__}: {error}') from error
    elif '://' in path:
        checkpoint = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    else:
        raise FileNotFoundError(f'no checkpoint file at {path}')
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    meta = meta.get(META_KEY, {}) if isinstance(meta, dict) else {}
    while isinstance(checkpoint, dict):
        nested = [k for k in WRAPPER_KEYS if isinstance(checkpoint.get(k), dict)]
        if not nested:
            break
        checkpoint = checkpoint[nested[0]]
    if (not isinstance(checkpoint, dict) or not checkpoint
            or not all(isinstance(v, torch.Tensor) for v in checkpoint.values())):
        raise ValueError(f'{path} holds no state dict of tensors')
    return OrderedDict(checkpoint), meta


def architecture_differences(architecture, backbone_cfg):
    """``name: checkpoint value != model value`` for each argument of
    ``architecture`` that ``backbone_cfg`` (with its type's defaults) sets
    otherwise."""
    if backbone_cfg.get('type') != architecture['type']:
        return [f"type: checkpoint {backbone_cfg.get('type')!r} != model "
                f"{architecture['type']!r}"]
    defaults = {name: p.default for name, p in inspect.signature(
        MODELS.get(architecture['type'])).parameters.items()}
    expected = {**defaults, **backbone_cfg}
    return [f'{name}: checkpoint {expected[name]!r} != model {value!r}'
            for name, value in architecture.items()
            if name != 'type' and expected.get(name) != value]


def _likely_cause(missing, state_dict, mismatched):
    for key in missing:
        prefixes = {k[:-len(key)] for k in state_dict if k.endswith('.' + key)}
        if prefixes:
            prefix = sorted(prefixes)[0]
            return (f"its keys start with {prefix!r}: set prefix={prefix!r} in "
                    'init_cfg')
    if mismatched:
        return ('it holds another architecture (width, groups or variant); '
                'convert the weights for this one')
    return ('none of its keys is in this project\'s layout: convert it with '
            'tools/convert_weights.py (torchvision, mmpretrain, megvii, timm)')


def load_pretrained(module, checkpoint, prefix=None, strict=True):
    """Load ``checkpoint`` into ``module`` (a backbone or StageHead).

    Args:
        module: Has ``architecture`` (its type and arguments) and owns the
            tensors of its ``state_dict()``.
        checkpoint (str): Path or URL.
        prefix (str, optional): Only keys with this prefix, stripped
            (e.g. ``'backbone.'`` for an mmpretrain or mmdet checkpoint).
        strict (bool): False loads whatever matches and logs the rest.

    Returns:
        dict: The checkpoint's metadata ({} if it has none).
    """
    state_dict, meta = read_checkpoint(checkpoint)
    if prefix:
        state_dict = OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                                 if k.startswith(prefix))
    name = type(module).__name__
    if meta.get('backbone'):
        differences = architecture_differences(module.architecture, meta['backbone'])
        if differences:
            raise ValueError(
                f'{checkpoint} was converted for {meta["backbone"]}, which is not '
                f'this {name}: {"; ".join(differences)}. Set these arguments in '
                'the backbone (and shared head) config, or convert weights for '
                'this architecture')
    own = module.state_dict()
    missing = [k for k in own if k not in state_dict
               and not k.endswith('num_batches_tracked')]
    mismatched = [f'{k}: checkpoint {tuple(state_dict[k].shape)} != model '
                  f'{tuple(v.shape)}' for k, v in own.items()
                  if k in state_dict and state_dict[k].shape != v.shape]
    if missing or mismatched:
        problems = '; '.join(
            f'{title}: {", ".join(items[:6])}{" ..." if len(items) > 6 else ""}'
            for title, items in [(f'{len(missing)} missing', missing),
                                 (f'{len(mismatched)} of another shape',
                                  mismatched)] if items)
        message = (f'{checkpoint} does not fit this {name} ({len(own)} tensors): '
                   f'{problems}. Likely cause: '
                   f'{_likely_cause(missing, state_dict, mismatched)}')
        if strict:
            raise ValueError(message + '. (strict=False in init_cfg loads what '
                             'fits.)')
        print_log(message, logger='current', level=30)
    loaded = {k: v for k, v in state_dict.items()
              if k in own and v.shape == own[k].shape}
    module.load_state_dict(loaded, strict=False)
    print_log(f'{name}: {len(loaded)} of {len(own)} tensors loaded from '
              f'{checkpoint}', logger='current')
    return meta
