"""Train a detector (shufflenet-det-train, shufflenet_det.tools.train)."""
from shufflenet_det.tools.train import main

if __name__ == '__main__':
    main()
