package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/store"
)

func (m *Main) storeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Inspect the artifact store",
		Long: `The artifact store keeps published module versions in the Go module proxy
layout (usable as GOPROXY) and the files of each release under _releases/.
Its URL is a directory or file://, s3://, gs://, azblob:// (see 'shipline
publish --help').`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return shipline.Errorf(shipline.EUSAGE, "store needs a subcommand: verify or sync")
		},
	}
	cmd.AddCommand(m.storeVerifyCommand(), m.storeSyncCommand())
	return cmd
}

func (m *Main) storeVerifyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify [URL]",
		Short: "Re-hash every object of the store and report corruption",
		Long: `Read every object of the store and check it against the SHA-256 its version's
manifest recorded when it was published, the module zips and go.mod files
against their h1: hashes too; check that each module's list and @latest and
the release index agree with the committed versions.

Unfinished publishes and objects outside the layout are reported as
warnings. Exits 1 when anything is corrupt, missing or stale.

URL defaults to release.store of .shipline.yaml, else the directory
shipline/store in $XDG_DATA_HOME (~/.local/share).`,
		Example: `  shipline store verify
  shipline store verify s3://releases?region=eu-west-1 --json`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			flag := ""
			if len(args) == 1 {
				flag = args[0]
			}
			return m.runStoreVerify(cmd.Context(), flag)
		},
	}
	m.jsonFlag(cmd)
	return cmd
}

func (m *Main) runStoreVerify(ctx context.Context, flag string) error {
	configured, root := "", ""
	if flag == "" {
		// The store of the repository's config, when there is one.
		if ws, err := m.open(ctx); err == nil {
			configured, root = ws.cfg.Release.Store, ws.repo.Dir
		} else if shipline.ErrorCode(err) != shipline.ENOTFOUND {
			return err
		}
	}
	url, err := m.storeURL(configured, flag, root)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, url)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := st.Verify(ctx)
	if err != nil {
		return err
	}
	if m.json {
		if err := writeJSON(m.Stdout, struct {
			*store.Report
			OK bool `json:"ok"`
		}{rep, rep.OK()}); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(m.Stdout, "store %s: %d module version(s), %d release(s), %d objects (%d bytes) re-hashed\n", rep.Store, rep.Modules, rep.Releases, rep.Objects, rep.Bytes)
		if len(rep.Problems) > 0 {
			tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "SEVERITY\tKIND\tOBJECT\tPROBLEM")
			for _, p := range rep.Problems {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Severity, p.Kind, p.Key, p.Message)
			}
			tw.Flush()
		}
		if rep.OK() {
			fmt.Fprintln(m.Stdout, "ok")
		}
	}
	if err := rep.Err(); err != nil {
		return m.reported(err)
	}
	return nil
}
