package azblob

import (
	"errors"
	"fmt"
	"strings"
)

// Azurite's well-known development account, which UseDevelopmentStorage=true
// names (it is public: it is in Microsoft's documentation).
const (
	DevAccount  = "devstoreaccount1"
	DevKey      = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==" // #nosec G101 -- Azurite's published development key, not a secret
	devEndpoint = "http://127.0.0.1:10000/" + DevAccount
)

// ConnectionString is a parsed Azure Storage connection string.
type ConnectionString struct {
	// ServiceURL is the Blob service URL, without a trailing slash.
	ServiceURL string
	// Credential is a *SharedKey (AccountName and AccountKey) or a *SAS
	// (SharedAccessSignature).
	Credential Credential
}

// ParseConnectionString parses KEY=VALUE;KEY=VALUE... with the keys
// DefaultEndpointsProtocol, AccountName, AccountKey, BlobEndpoint,
// EndpointSuffix, SharedAccessSignature, and UseDevelopmentStorage=true
// (with DevelopmentStorageProxyUri) for Azurite's development account.
// Keys of the other services (QueueEndpoint, TableEndpoint, FileEndpoint)
// are ignored; other keys are an error. The error never repeats the
// string, which holds a secret.
func ParseConnectionString(s string) (*ConnectionString, error) {
	kv := map[string]string{}
	for part := range strings.SplitSeq(strings.TrimSpace(s), ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok || k == "" {
			return nil, errors.New("the connection string is not KEY=VALUE pairs separated by ';'")
		}
		switch k {
		case "DefaultEndpointsProtocol", "AccountName", "AccountKey", "BlobEndpoint", "EndpointSuffix",
			"SharedAccessSignature", "UseDevelopmentStorage", "DevelopmentStorageProxyUri":
		case "QueueEndpoint", "TableEndpoint", "FileEndpoint":
			continue
		default:
			return nil, fmt.Errorf("unknown connection string key %q", k)
		}
		if _, dup := kv[k]; dup {
			return nil, fmt.Errorf("connection string key %q is given twice", k)
		}
		kv[k] = v
	}
	if len(kv) == 0 {
		return nil, errors.New("the connection string is empty")
	}
	if dev, ok := kv["UseDevelopmentStorage"]; ok {
		if !strings.EqualFold(dev, "true") {
			return nil, fmt.Errorf("UseDevelopmentStorage=%s: the only value is true", dev)
		}
		endpoint := devEndpoint
		if p := kv["DevelopmentStorageProxyUri"]; p != "" {
			endpoint = strings.TrimSuffix(p, "/") + ":10000/" + DevAccount
		}
		if e := kv["BlobEndpoint"]; e != "" {
			endpoint = e
		}
		cred, _ := NewSharedKey(DevAccount, DevKey)
		return &ConnectionString{ServiceURL: strings.TrimSuffix(endpoint, "/"), Credential: cred}, nil
	}
	protocol := kv["DefaultEndpointsProtocol"]
	switch protocol {
	case "":
		protocol = "https"
	case "http", "https":
	default:
		return nil, fmt.Errorf("DefaultEndpointsProtocol=%s: want http or https", protocol)
	}
	suffix := kv["EndpointSuffix"]
	if suffix == "" {
		suffix = "core.windows.net"
	}
	account := kv["AccountName"]
	endpoint := kv["BlobEndpoint"]
	switch {
	case endpoint != "":
		if !strings.HasPrefix(endpoint, "http://") && !strings.HasPrefix(endpoint, "https://") {
			return nil, errors.New("BlobEndpoint is not an http or https URL")
		}
	case account != "":
		if strings.ContainsAny(account, "/:@?#.") {
			return nil, fmt.Errorf("invalid AccountName %q", account)
		}
		endpoint = protocol + "://" + account + ".blob." + suffix
	default:
		return nil, errors.New("the connection string needs AccountName or BlobEndpoint")
	}
	cs := &ConnectionString{ServiceURL: strings.TrimSuffix(endpoint, "/")}
	switch key, sas := kv["AccountKey"], kv["SharedAccessSignature"]; {
	case account != "" && key != "":
		cred, err := NewSharedKey(account, key)
		if err != nil {
			return nil, fmt.Errorf("AccountKey: %w", err)
		}
		cs.Credential = cred
	case sas != "":
		cred, err := NewSAS(sas)
		if err != nil {
			return nil, fmt.Errorf("SharedAccessSignature: %w", err)
		}
		cs.Credential = cred
	case key != "":
		return nil, errors.New("the connection string has an AccountKey without an AccountName")
	default:
		return nil, errors.New("the connection string needs AccountName with AccountKey, or SharedAccessSignature")
	}
	return cs, nil
}
