from paperread.cli import main

main()
