from luma_mcp.cli import main

main()
