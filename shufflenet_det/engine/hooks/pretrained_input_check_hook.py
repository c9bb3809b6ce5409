"""Converted ImageNet weights and the detector's input normalisation."""
from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...models import input_normalization


@HOOKS.register_module()
class PretrainedInputCheckHook(Hook):
    """Before training, check that the detector normalises its input as the
    converted ImageNet weights it loaded expect (their metadata says how)."""

    def before_train(self, runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        actual = input_normalization(model.data_preprocessor)
        for name, module in model.named_modules():
            expected = getattr(module, 'pretrained_meta', {}).get('data_preprocessor')
            if expected is None:
                continue
            differs = [k for k in expected
                       if not _close(expected[k], actual.get(k))]
            if differs:
                raise ValueError(
                    f'{name} loaded weights that expect the input {expected} '
                    f'(source {module.pretrained_meta.get("source")!r}), but '
                    f'model.data_preprocessor gives {actual}: set '
                    f'model.data_preprocessor {", ".join(differs)} as the '
                    'weights expect')


def _close(a, b):
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(abs(x - y) < 1e-3 for x, y in zip(a, b))
    return a == b
