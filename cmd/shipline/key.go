package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/shipline-ci/shipline"
	"github.com/shipline-ci/shipline/sign"
)

// passwordEnv are the environment variables that hold the password of a
// private key, in the order they are read.
var passwordEnv = []string{"SHIPLINE_KEY_PASSWORD", "COSIGN_PASSWORD"}

func (m *Main) keyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Make and read cosign-compatible signing keys",
		Long: `Make and read the ECDSA P-256 key pairs Shipline signs releases with. The
files are cosign's: PREFIX.key is a PEM "ENCRYPTED SIGSTORE PRIVATE KEY"
(scrypt and NaCl secretbox), PREFIX.pub a PEM "PUBLIC KEY", so cosign can
verify what Shipline signs and Shipline can use keys cosign made.

The password of the private key comes from SHIPLINE_KEY_PASSWORD or, if that
is unset or empty, COSIGN_PASSWORD.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return shipline.Errorf(shipline.EUSAGE, "key needs a subcommand: generate or public")
		},
	}
	cmd.AddCommand(m.keyGenerateCommand(), m.keyPublicCommand())
	return cmd
}

func (m *Main) keyGenerateCommand() *cobra.Command {
	var (
		prefix            string
		force, noPassword bool
	)
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Generate a key pair: PREFIX.key (private, encrypted) and PREFIX.pub",
		Long: `Generate an ECDSA P-256 key pair in cosign's formats: PREFIX.key, the private
key encrypted with the password in SHIPLINE_KEY_PASSWORD (or COSIGN_PASSWORD),
readable only by its owner (mode 0600), and PREFIX.pub, the public key to
publish. Existing files are kept unless --force is given.

An empty password leaves the private key as good as unencrypted: it takes
--no-password, with both variables unset or empty.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			password, err := keyPassword(noPassword)
			if err != nil {
				return err
			}
			keyPath, pubPath := prefix+".key", prefix+".pub"
			keyFile, pubFile := m.path(keyPath), m.path(pubPath)
			if !force {
				for _, p := range []string{keyPath, pubPath} {
					if _, err := os.Lstat(m.path(p)); err == nil {
						return shipline.Errorf(shipline.ECONFLICT, "%s already exists; pass --force to replace the key pair, or --output-key-prefix to write another", p)
					}
				}
			}
			priv, pub, err := sign.GenerateKey(password)
			if err != nil {
				return err
			}
			if err := writeKeyFile(keyFile, priv, 0o600, force); err != nil {
				return err
			}
			if err := writeKeyFile(pubFile, pub, 0o644, force); err != nil {
				if !force {
					os.Remove(keyFile) // we made it a moment ago: leave no half pair
				}
				return err
			}
			if m.json {
				return writeJSON(m.Stdout, map[string]string{"private_key": keyPath, "public_key": pubPath})
			}
			fmt.Fprintf(m.Stdout, "private key: %s (encrypted, mode 0600; keep it secret)\npublic key:  %s\n", keyPath, pubPath)
			return nil
		},
	}
	cmd.Flags().StringVar(&prefix, "output-key-prefix", "cosign", "write the key pair to `PREFIX`.key and PREFIX.pub")
	cmd.Flags().BoolVar(&force, "force", false, "replace existing key files")
	cmd.Flags().BoolVar(&noPassword, "no-password", false, "allow an empty password (anyone who reads the key file can sign)")
	m.jsonFlag(cmd)
	return cmd
}

func (m *Main) keyPublicCommand() *cobra.Command {
	var (
		keyPath    string
		noPassword bool
	)
	cmd := &cobra.Command{
		Use:   "public",
		Short: "Print the public key of a private key file",
		Long: `Decrypt a private key file (Shipline's or cosign's) with the password in
SHIPLINE_KEY_PASSWORD (or COSIGN_PASSWORD) and print its public key as a PEM
"PUBLIC KEY", the form of cosign.pub. This also checks the password.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			password, err := keyPassword(noPassword)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(m.path(keyPath))
			if errors.Is(err, fs.ErrNotExist) {
				return shipline.Errorf(shipline.ENOTFOUND, "%s does not exist; make a key pair with 'shipline key generate' or name the file with --key", keyPath)
			} else if err != nil {
				return err
			}
			signer, err := sign.LoadPrivateKey(data, password)
			if err != nil {
				return fmt.Errorf("%s: %w", keyPath, err)
			}
			pub, err := sign.MarshalPublicKey(signer.Public())
			if err != nil {
				return err
			}
			_, err = m.Stdout.Write(pub)
			return err
		},
	}
	cmd.Flags().StringVar(&keyPath, "key", "cosign.key", "the private key `FILE`")
	cmd.Flags().BoolVar(&noPassword, "no-password", false, "the key has an empty password")
	return cmd
}

// keyPassword reads the password of a private key from the first of
// passwordEnv that is set and not empty. An empty password takes
// noPassword, and noPassword with a password set is a contradiction. The
// password is never part of an error.
func keyPassword(noPassword bool) ([]byte, error) {
	for _, name := range passwordEnv {
		v := os.Getenv(name)
		if v == "" {
			continue
		}
		if noPassword {
			return nil, shipline.Errorf(shipline.EUSAGE, "--no-password, but %s holds a password; unset it or drop --no-password", name)
		}
		return []byte(v), nil
	}
	if noPassword {
		return []byte{}, nil
	}
	return nil, shipline.Errorf(shipline.EUSAGE, "no password for the private key: set SHIPLINE_KEY_PASSWORD (or COSIGN_PASSWORD), or pass --no-password for a key without one")
}

// path resolves a path given on the command line against --chdir.
func (m *Main) path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(m.workDir(), p)
}

// writeKeyFile writes a key file with the given mode. Without replace it
// fails if the file exists; with replace it swaps the file in atomically,
// so an old key is never left half overwritten nor with a wider mode.
func writeKeyFile(path string, data []byte, mode os.FileMode, replace bool) error {
	if !replace {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode) // #nosec G304 -- the key file named by --output-key-prefix, created new (O_EXCL) with the mode the caller gives: 0600 for the private key
		if errors.Is(err, fs.ErrExist) {
			return shipline.Errorf(shipline.ECONFLICT, "%s already exists; pass --force to replace it", path)
		} else if err != nil {
			return err
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
		}
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".shipline-key-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
