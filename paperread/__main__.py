from paperread.start import main

main()
