package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/journeybot/journeybot/api"
)

// openRecorder opens what "journeybot events import" records through, from the configuration file at configPath;
// close releases it.
// phoneRegion is the configured region of phone numbers written without a country code.
type openRecorder func(ctx context.Context, configPath string) (rec api.Recorder, phoneRegion string, close func() error, err error)

// runEvents runs "journeybot events import [-config FILE] [-format csv|jsonl] [-sender NAME] [-keep-going]
// [-phone-region CC] FILE": it back-fills business events from a CSV or JSON Lines file ("-" reads stdin) through
// the recorder open returns, and prints a report. environ is not read here: open reads the configuration.
func runEvents(ctx context.Context, args, environ []string, stdout, stderr io.Writer, open openRecorder) (err error) {
	const usage = `usage: journeybot events import [-config FILE] [-format csv|jsonl] [-sender NAME] [-keep-going] FILE`
	if len(args) == 0 || args[0] != "import" {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("events import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "config.yaml", "configuration file")
	format := fs.String("format", "", "csv or jsonl; default: by the file's extension, else by its content")
	sender := fs.String("sender", "import", "namespace of the message ids: an API token's name to deduplicate against the events it sent")
	keepGoing := fs.Bool("keep-going", false, "store the valid lines and skip the invalid ones, instead of storing nothing when a line is invalid")
	region := fs.String("phone-region", "", "region of phone numbers without a country code, e.g. US (default: identity.phone_region)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New(usage)
	}
	path := fs.Arg(0)
	if *format == "" {
		switch strings.ToLower(filepath.Ext(path)) {
		case ".csv":
			*format = api.FormatCSV
		case ".jsonl", ".ndjson":
			*format = api.FormatJSONL
		}
	}
	var in io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("events import: %w", err)
		}
		defer f.Close()
		in = f
	}
	rec, configRegion, closeRec, err := open(ctx, *configPath)
	if err != nil {
		return err
	}
	if *region == "" {
		*region = configRegion
	}
	defer func() {
		if cerr := closeRec(); cerr != nil && err == nil {
			err = fmt.Errorf("events import: close: %w", cerr)
		}
	}()
	rep, err := api.Import(ctx, in, *format, rec, api.ImportOptions{
		Sender: *sender, KeepGoing: *keepGoing, PhoneRegion: *region,
	})
	for _, e := range rep.Errors {
		fmt.Fprintf(stderr, "%s: %s\n", path, e)
	}
	if more := rep.Invalid - len(rep.Errors); more > 0 {
		fmt.Fprintf(stderr, "%s: ... and more invalid lines\n", path)
	}
	fmt.Fprintf(stdout, "%s: %d calls read: %d stored, %d duplicates (stored before), %d invalid\n",
		path, rep.Calls, rep.Stored, rep.Duplicates, rep.Invalid)
	if errors.Is(err, api.ErrInvalidInput) && !*keepGoing {
		return fmt.Errorf("%w; fix the lines above, or run with -keep-going to store the valid ones", err)
	}
	return err
}

// runTokens runs "journeybot tokens new [-name NAME] [-scopes a,b]": it makes an API token, prints it once, and
// prints the configuration entry holding its hash.
func runTokens(args []string, stdout, stderr io.Writer) error {
	const usage = `usage: journeybot tokens new [-name NAME] [-scopes events:write,customers:read,customers:write]`
	if len(args) == 0 || args[0] != "new" {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("tokens new", flag.ContinueOnError)
	fs.SetOutput(stderr)
	name := fs.String("name", "default", "the sender's name: logged, recorded with its events, namespaces its message ids")
	scopes := fs.String("scopes", api.ScopeEventsWrite, "comma-separated scopes: events:write, customers:read, customers:write")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return errors.New(usage)
	}
	var list []string
	for _, s := range strings.Split(*scopes, ",") {
		if s = strings.TrimSpace(s); s != "" {
			list = append(list, s)
		}
	}
	token, hash, err := api.NewToken()
	if err != nil {
		return err
	}
	if err := api.CheckTokens([]api.Token{{Name: *name, Hash: hash, Scopes: list}}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, `API token %q (shown once: give it to the sender and keep it secret; journeybot keeps only its hash):

  %s

Add it to config.yaml:

api:
  tokens:
    - name: %s
      hash: %s
      scopes: [%s]
`, *name, token, *name, hash, strings.Join(list, ", "))
	return nil
}
