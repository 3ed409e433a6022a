from roomwatch.cli import main

raise SystemExit(main())
