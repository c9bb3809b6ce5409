"""Helpers shared by test modules (pytest puts this folder on sys.path)."""
from torch.nn.modules.batchnorm import _BatchNorm


def randomise_batch_norm(model):
    """Non-trivial BN statistics and affine terms, so that folding or
    converting them matters."""
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.5, 0.5)
    return model
