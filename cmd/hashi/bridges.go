package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"text/tabwriter"
	"time"

	"github.com/hashi-broker/hashi/network"
)

// cmdBridges prints the network bridges of a running broker, read from its
// admin listener.
func cmdBridges(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bridges", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("admin", envOr("HASHI_ADMIN", "127.0.0.1:8161"), "the broker's admin listener")
	asJSON := fs.Bool("json", false, "print the JSON as the API returns it")
	user := fs.String("user", os.Getenv("HASHI_USER"), "broker user in a console group, when the broker has users (env HASHI_USER)")
	pass := fs.String("password", os.Getenv("HASHI_PASSWORD"), "its password (env HASHI_PASSWORD)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	client := &http.Client{Timeout: 5 * time.Second}
	req, _ := http.NewRequest(http.MethodGet, "http://"+*addr+"/api/v1/bridges", nil)
	if *user != "" {
		req.SetBasicAuth(*user, *pass)
	}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "hashi bridges: %v (is the broker running with --admin %s?)\n", err, *addr)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "hashi bridges: %s: %s\n", resp.Status, body)
		return 1
	}
	if *asJSON {
		stdout.Write(body)
		return 0
	}
	var out struct {
		Bridges []network.Info `json:"bridges"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		fmt.Fprintln(stderr, "hashi bridges: bad answer:", err)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BRIDGE\tREMOTE BROKER\tREMOTE ADDRESS\tDUPLEX\tCREATED BY DUPLEX\tSTATE\tSINCE\tOUT\tIN\tPENDING\tRTT\tLAST ERROR")
	for _, b := range out.Bridges {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%v\t%s\t%s\t%d\t%d\t%d\t%s\t%s\n",
			b.Name, dash(b.RemoteBroker), dash(b.RemoteAddress), b.Duplex, b.CreatedByDuplex, b.State,
			time.Since(b.Since).Round(time.Second), b.Forwarded, b.Received, b.Pending+b.Inflight, dash(b.RTTText), b.LastError)
	}
	tw.Flush()
	if len(out.Bridges) == 0 {
		fmt.Fprintln(stdout, "(no network bridges)")
	}
	return 0
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
