package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/hashi-broker/hashi/authz"
	"github.com/hashi-broker/hashi/config"
	"github.com/hashi-broker/hashi/xml"
)

// cmdCheck validates a file: problems as FILE:LINE:COL: message and exit 1,
// or the effective configuration and exit 0 (warnings are printed either way).
func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quiet := fs.Bool("q", false, "print only problems")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: hashi check [-q] FILE")
		return 2
	}
	path := fs.Arg(0)
	cfg, problems := xml.LoadFile(path, xml.Options{})
	for _, p := range problems {
		fmt.Fprintln(stderr, p.String())
	}
	if problems.HasErrors() || cfg == nil {
		n := 0
		for _, p := range problems {
			if p.Severity == config.Error {
				n++
			}
		}
		fmt.Fprintf(stderr, "%s: %d error(s)\n", path, n)
		return 1
	}
	if !*quiet {
		config.Describe(stdout, cfg)
	}
	return 0
}

// cmdPasswd prints a hash of the password on stdin's first line, for the
// password attribute of an authenticationUser or a users.properties line.
func cmdPasswd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("passwd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	argon := fs.Bool("argon2id", false, "hash with argon2id instead of bcrypt")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		fmt.Fprintln(stderr, "hashi passwd:", err)
		return 1
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		fmt.Fprintln(stderr, "hashi passwd: empty password (type it on stdin, e.g. `echo -n secret | hashi passwd`)")
		return 1
	}
	algo := "bcrypt"
	if *argon {
		algo = "argon2id"
	}
	h, err := authz.HashPassword(pw, algo)
	if err != nil {
		fmt.Fprintln(stderr, "hashi passwd:", err)
		return 1
	}
	fmt.Fprintln(stdout, h)
	return 0
}
