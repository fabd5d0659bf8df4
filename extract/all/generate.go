package all

//go:generate go run ./gendoc ../../docs/config.md
