from peakend.cli import main

raise SystemExit(main())
