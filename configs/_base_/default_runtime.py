# mmdet's runtime (hooks, logging, environment) with this package: its modules
# registered (custom_imports) and its checks. Before training, fail if the
# ImageNet weights expect another input normalisation than the
# data_preprocessor's (they record theirs); before a run loads a trained
# checkpoint (load_from, resume), fail if it is none or does not fit the
# model; warn if many training boxes get no positive anchor
# (tools/check_anchors.py).
_base_ = 'mmdet::_base_/default_runtime.py'
custom_imports = dict(imports=['shufflenet_det'], allow_failed_imports=False)
custom_hooks = [
    dict(type='PretrainedInputCheckHook'),
    dict(type='TrainedCheckpointHook'),
    dict(type='AnchorCheckHook')
]
