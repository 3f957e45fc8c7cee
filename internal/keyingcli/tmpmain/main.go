package main

import (
	"os"

	"github.com/keyward/keyward/internal/keyingcli"
)

func main() { os.Exit(keyingcli.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
