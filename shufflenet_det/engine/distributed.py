"""Multi-process training and testing without GPUs, through mmengine.

mmengine's ``pytorch`` launcher pins each process to a GPU
(``torch.cuda.set_device``) and hands DDP ``device_ids``; on a machine
without GPUs both fail. :func:`init_distributed` joins the process group of
torchrun's environment with gloo instead (the Runner then skips its own
initialisation) and wraps the model in a DDP without device ids, so that the
CPU runs the same code path as the GPU.
"""
import datetime
import gc

import torch
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """mmengine's DDP wrapper for a model on the CPU: ignores the
    ``device_ids`` the Runner passes, which torch's DDP refuses there."""

    def __init__(self, module, device_ids=None, **kwargs):
        super().__init__(module=module, device_ids=None, **kwargs)


def init_distributed(cfg):
    """Without GPUs, set up ``cfg.launcher='pytorch'`` on gloo (see above).

    With GPUs, or without a launcher, nothing changes and mmengine does as it
    always does (NCCL on GPUs). The process-group timeout is the config's
    ``env_cfg.dist_cfg.timeout`` (seconds, default 1800): a rank that waits
    longer for the others fails instead of hanging.
    """
    launcher = cfg.get('launcher', 'none')
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise ValueError(f'--launcher {launcher} needs GPUs; without them, start '
                         'the processes with torchrun (tools/dist_train.sh, '
                         'tools/dist_test.sh), i.e. --launcher pytorch')
    dist_cfg = dict(cfg.get('env_cfg', {}).get('dist_cfg', {}), backend='gloo')
    timeout = datetime.timedelta(seconds=dist_cfg.get('timeout', 1800))
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group('gloo', timeout=timeout)
    cfg.setdefault('env_cfg', {})['dist_cfg'] = dist_cfg
    cfg.setdefault('model_wrapper_cfg', dict(
        type='CPUDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False)))


def shutdown_distributed():
    """After a run, free the distributed model, then leave the process group:
    in that order and before interpreter teardown, where a finished gloo
    process can otherwise abort ("terminate called without an active
    exception"). Nothing to do in a single process."""
    if not torch.distributed.is_initialized():
        return
    gc.collect()
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()
