from cs_metrics.cli import main

if __name__ == "__main__":
    main()
