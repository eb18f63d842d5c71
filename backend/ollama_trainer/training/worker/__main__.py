import sys

from ollama_trainer.training.worker.main import main

sys.exit(main())
