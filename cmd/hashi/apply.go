package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

// cmdApply sends an activemq.xml to a running broker's admin API, which
// validates it and applies it without a restart.
func cmdApply(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("apply", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("admin", envOr("HASHI_ADMIN", "127.0.0.1:8161"), "the broker's admin listener")
	user := fs.String("user", os.Getenv("HASHI_USER"), "broker user in a console group (env HASHI_USER)")
	pass := fs.String("password", os.Getenv("HASHI_PASSWORD"), "its password (env HASHI_PASSWORD)")
	comment := fs.String("m", "", "a comment for the revision")
	validateOnly := fs.Bool("validate", false, "only validate against the running broker")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: hashi apply [--admin ADDR] [--user U --password P] [-m COMMENT] FILE")
		return 2
	}
	text, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "hashi apply:", err)
		return 1
	}
	body, _ := json.Marshal(map[string]string{"xml": string(text), "comment": *comment})
	path := "/api/v1/config/apply"
	if *validateOnly {
		path = "/api/v1/config/validate"
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+*addr+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", "hashi-cli")
	if *user != "" {
		req.SetBasicAuth(*user, *pass)
	}
	resp, err := (&http.Client{Timeout: 60 * time.Second}).Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "hashi apply: %v (is the broker running with --admin %s?)\n", err, *addr)
		return 1
	}
	defer resp.Body.Close()
	var out struct {
		Error    string `json:"error"`
		Revision int    `json:"revision"`
		Valid    *bool  `json:"valid"`
		Changes  any    `json:"changes"`
		Problems []struct {
			Text string `json:"text"`
		} `json:"problems"`
	}
	raw, _ := io.ReadAll(resp.Body)
	json.Unmarshal(raw, &out)
	for _, p := range out.Problems {
		fmt.Fprintln(stderr, p.Text)
	}
	switch {
	case resp.StatusCode != http.StatusOK:
		msg := out.Error
		if msg == "" {
			msg = resp.Status + ": " + string(raw)
		}
		fmt.Fprintln(stderr, "hashi apply:", msg)
		return 1
	case *validateOnly:
		if out.Valid != nil && !*out.Valid {
			return 1
		}
		fmt.Fprintln(stdout, "valid")
	default:
		ch, _ := json.Marshal(out.Changes)
		fmt.Fprintf(stdout, "applied as revision %d: %s\n", out.Revision, ch)
	}
	return 0
}
