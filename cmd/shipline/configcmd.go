package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/config"
)

func (m *Main) configCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check the configuration, or print its JSON Schema",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return shipline.Errorf(shipline.EUSAGE, "config needs a subcommand: validate or schema")
		},
	}
	cmd.AddCommand(m.configValidateCommand(), m.configSchemaCommand())
	return cmd
}

func (m *Main) configValidateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "validate [FILE]",
		Short: "Check .shipline.yaml (or FILE) and report every problem with its position",
		Args:  maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var (
				path string
				err  error
			)
			if len(args) == 1 {
				path = args[0]
				if !filepath.IsAbs(path) {
					path = filepath.Join(m.workDir(), path)
				}
				data, rerr := os.ReadFile(path) // #nosec G304 -- the config file the user named on the command line
				if rerr != nil {
					return shipline.Errorf(shipline.ENOTFOUND, "read config: %v", rerr)
				}
				_, err = config.Parse(path, data)
			} else {
				ws, oerr := m.open(cmd.Context())
				if oerr != nil && shipline.ErrorCode(oerr) != shipline.EINVALID {
					return oerr
				}
				err = oerr
				if ws != nil {
					path = ws.cfgPath
				}
			}
			probs := config.Problems(err)
			if err != nil && probs == nil {
				return err
			}
			if m.json {
				if probs == nil {
					probs = []config.Problem{}
				}
				if werr := writeJSON(m.Stdout, map[string]any{"file": path, "valid": err == nil, "problems": probs}); werr != nil {
					return werr
				}
			} else if err == nil {
				if path == "" {
					fmt.Fprintf(m.Stdout, "no %s: running on built-in defaults\n", config.FileName)
				} else {
					fmt.Fprintf(m.Stdout, "%s: valid\n", path)
				}
			}
			if err != nil {
				return m.reported(err)
			}
			return nil
		},
	}
	m.jsonFlag(cmd)
	return cmd
}

func (m *Main) configSchemaCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of .shipline.yaml, for editors",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := m.Stdout.Write(config.Schema())
			return err
		},
	}
}
