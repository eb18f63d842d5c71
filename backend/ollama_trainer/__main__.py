from ollama_trainer.cli import main

raise SystemExit(main())
