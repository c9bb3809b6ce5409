"""ImageNet weights for the backbones and the C4 ``StageHead``: read,
recognised, checked and loaded strictly. Every tensor a module owns comes
from the checkpoint, or loading fails naming what is missing and why; keys of
stages the module does not own (the other side of the C4 split) are skipped
without a word.

Converted checkpoints (``tools/convert_weights.py``) describe themselves in
``meta['shufflenet_det']``: the source and backbone arguments of the weights,
checked here against the model that loads them, and their input
normalisation, checked by ``PretrainedInputCheckHook`` before training. A
checkpoint as its authors published it (torchvision, mmpretrain, Megvii,
timm; by file, URL or model-zoo name) is recognised from its keys and
converted in memory into exactly that file's tensors and metadata.

The networks do not import this module: their ``init_cfg=dict(type=
'Pretrained', ...)`` builds :class:`StrictPretrainedInit` from mmengine's
weight-initializer registry, where importing ``shufflenet_det`` puts it.
"""
import inspect
import json
import os
from collections import OrderedDict

import torch
from mmdet.registry import MODELS
from mmengine.logging import print_log
from mmengine.registry import WEIGHT_INITIALIZERS

from .atomic import atomic_path
from .checkpoints import load_torch_file, misfit, state_dict_of
from .converters import (CONVERTERS, DATA_PREPROCESSORS, convert_state_dict,
                         recognise_source)
from .models.stages import PRETRAINED_INIT

META_KEY = 'shufflenet_det'
# The likely causes (shufflenet_det.checkpoints.misfit) named when ImageNet
# weights do not fit.
PRETRAINED_CAUSES = (
    "its keys start with {prefix!r}: set prefix={prefix!r} in init_cfg",
    'it holds another architecture (width, groups or variant); use weights of '
    'this one',
    'none of its keys is in this project\'s layout or in that of a recognised '
    f'source ({", ".join(CONVERTERS)})')


def read_checkpoint(name):
    """(state dict, this project's metadata or {}) of ImageNet weights.

    ``name``: a file, URL or model-zoo name (``torchvision://...``), read
    weights-only (:func:`shufflenet_det.checkpoints.load_torch_file`).
    """
    checkpoint = load_torch_file(name, weights_only=True)
    meta = checkpoint.get('meta') if isinstance(checkpoint, dict) else None
    meta = meta.get(META_KEY, {}) if isinstance(meta, dict) else {}
    return OrderedDict(state_dict_of(checkpoint, name)), meta


def convert_checkpoint(source, src, **architecture):
    """:func:`shufflenet_det.converters.convert_state_dict` of checkpoint
    ``src`` (a file, URL or model-zoo name, read weights-only)."""
    return convert_state_dict(source, read_checkpoint(src)[0], src, **architecture)


def converted_meta(converted, source):
    """The metadata a converted file records (``meta['shufflenet_det']``:
    source, backbone config, input normalisation), as plain dicts, which a
    weights-only load reads (ConfigDicts it does not)."""
    return json.loads(json.dumps({META_KEY: dict(
        source=source, backbone=converted.backbone_cfg,
        data_preprocessor=DATA_PREPROCESSORS[source])}))


def save_converted(converted, source, path, overwrite=False):
    """Write ``converted`` with :func:`converted_meta`, atomically (a
    partial file is never left at ``path``), refusing to replace an existing
    file unless ``overwrite``."""
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f'{path} exists; pass overwrite=True (--overwrite) '
                              'to replace it')
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic_path(path) as partial:
        torch.save(dict(state_dict=converted.state_dict,
                        meta=converted_meta(converted, source)), partial)


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


def recognise(state_dict, name='checkpoint'):
    """(source, metadata, state dict) of ImageNet weights in a peer's layout,
    converted in memory exactly as ``tools/convert_weights.py`` converts
    them (the metadata is what the converted file would record); None if no
    recognisable source (``shufflenet_det.converters.CONVERTERS``) has these
    keys."""
    found = recognise_source(state_dict, name)
    if found is None:
        return None
    source, converted = found
    return source, converted_meta(converted, source)[META_KEY], converted.state_dict


def load_pretrained(module, checkpoint, prefix=None, strict=True):
    """Load ``checkpoint`` into ``module`` (a backbone or StageHead).

    A checkpoint in this project's layout loads as it is; one in a peer's
    published layout (torchvision, mmpretrain, Megvii, timm: see
    :func:`recognise`) is converted in memory first, then loaded by the
    same rules.

    Args:
        module: Has ``architecture`` (its type and arguments) and owns the
            tensors of its ``state_dict()``.
        checkpoint (str): Path, URL or model-zoo name
            (``torchvision://shufflenet_v2_x1_0.imagenet1k_v1``).
        prefix (str, optional): Only keys with this prefix, stripped
            (e.g. ``'backbone.'`` for an mmdet checkpoint).
        strict (bool): False loads whatever matches and logs the rest.

    Returns:
        dict: The checkpoint's metadata ({} if it has none).
    """
    state_dict, meta = read_checkpoint(checkpoint)
    if prefix:
        state_dict = OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                                 if k.startswith(prefix))
    name = type(module).__name__
    own = module.state_dict()
    recognised = None
    if not meta and not any(k in state_dict for k in own):
        recognised = recognise(state_dict, checkpoint)
        if recognised is not None:
            _, meta, state_dict = recognised
    if meta.get('backbone'):
        differences = architecture_differences(module.architecture, meta['backbone'])
        if differences:
            made = (f'holds {recognised[0]} weights of {meta["backbone"]}'
                    if recognised else f'was converted for {meta["backbone"]}')
            raise ValueError(
                f'{checkpoint} {made}, which is not this {name}: '
                f'{"; ".join(differences)}. Set these arguments in the backbone '
                '(and shared head) config, or use weights of this architecture')
    message = misfit(own, state_dict, checkpoint, name, PRETRAINED_CAUSES)
    if message:
        if strict:
            raise ValueError(message + '. (strict=False in init_cfg loads what '
                             'fits.)')
        print_log(message, logger='current', level=30)
    loaded = {k: v for k, v in state_dict.items()
              if k in own and v.shape == own[k].shape}
    module.load_state_dict(loaded, strict=False)
    # BN's num_batches_tracked is not counted: some sources do not save it.
    counted = [k for k in own if not k.endswith('num_batches_tracked')]
    how = (f'recognised {recognised[0]} {meta["backbone"]}, converted, '
           if recognised else '')
    print_log(f'{name}: {checkpoint}: {how}loaded '
              f'{sum(k in loaded for k in counted)} of {len(counted)} tensors',
              logger='current')
    return meta


@WEIGHT_INITIALIZERS.register_module(name=PRETRAINED_INIT)
class StrictPretrainedInit:
    """mmengine weight initializer: :func:`load_pretrained` into the module
    it is called on, its metadata kept in ``module.pretrained_meta``.

    Args:
        checkpoint, prefix, strict: As :func:`load_pretrained`.
        map_location: Taken, as mmengine's ``Pretrained`` takes it; the
            weights are read on the CPU.
    """

    def __init__(self, checkpoint, prefix=None, strict=True, map_location='cpu'):
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.strict = strict

    def __call__(self, module):
        module.pretrained_meta = load_pretrained(module, self.checkpoint,
                                                 self.prefix, self.strict)
