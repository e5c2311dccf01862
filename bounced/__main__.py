from bounced.cli import main

main()
