"""`python -m bot run`: the same as the `gptitor` command."""

from bot.launch import main

raise SystemExit(main())
