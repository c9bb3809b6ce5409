"""Test (and evaluate) a detector (shufflenet-det-test, shufflenet_det.tools.test)."""
from shufflenet_det.tools.test import main

if __name__ == '__main__':
    main()
