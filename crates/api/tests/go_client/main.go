// A stock grpc-go client (Debian's golang-google-grpc-dev, built in GOPATH
// mode: no module download) with default dial options: it lists the
// services over reflection and calls evpn.v1.DaemonService/GetStatus with
// raw bytes, decoding router_id (field 3) and asn (field 4) by hand.
//
// Usage: go_client unix:///path/to/socket [AUTHORITY]
// With AUTHORITY the client sends it as :authority (grpc.WithAuthority); Go's
// HPACK encoder Huffman-codes it when that is shorter, as for a socket path.
// Prints one JSON object: {"services": [...], "router_id": "...", "asn": N}.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"time"

	"google.golang.org/grpc"
	rpb "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"
)

// rawCodec passes messages through as bytes.
type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v interface{}) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// varint reads a protobuf base-128 varint.
func varint(b []byte) (uint64, int) {
	var v uint64
	for i := 0; i < len(b) && i < 10; i++ {
		v |= uint64(b[i]&0x7f) << (7 * uint(i))
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

// status decodes the two fields the test checks and skips the rest.
func status(b []byte) (string, uint64, error) {
	var routerID string
	var asn uint64
	for len(b) > 0 {
		key, n := varint(b)
		if n == 0 {
			return "", 0, fmt.Errorf("bad field key")
		}
		b = b[n:]
		field, wire := key>>3, key&7
		switch wire {
		case 0:
			v, n := varint(b)
			if n == 0 {
				return "", 0, fmt.Errorf("bad varint")
			}
			if field == 4 {
				asn = v
			}
			b = b[n:]
		case 2:
			l, n := varint(b)
			if n == 0 || uint64(len(b)-n) < l {
				return "", 0, fmt.Errorf("bad length")
			}
			if field == 3 {
				routerID = string(b[n : n+int(l)])
			}
			b = b[n+int(l):]
		default:
			return "", 0, fmt.Errorf("unexpected wire type %d", wire)
		}
	}
	return routerID, asn, nil
}

func run(target string, authority string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opts := []grpc.DialOption{grpc.WithInsecure(), grpc.WithBlock()}
	if authority != "" {
		opts = append(opts, grpc.WithAuthority(authority))
	}
	conn, err := grpc.DialContext(ctx, target, opts...)
	if err != nil {
		return fmt.Errorf("dial: %v", err)
	}
	defer conn.Close()

	stream, err := rpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
	if err != nil {
		return fmt.Errorf("reflection: %v", err)
	}
	req := &rpb.ServerReflectionRequest{
		MessageRequest: &rpb.ServerReflectionRequest_ListServices{ListServices: ""},
	}
	if err := stream.Send(req); err != nil {
		return fmt.Errorf("reflection send: %v", err)
	}
	resp, err := stream.Recv()
	if err != nil {
		return fmt.Errorf("reflection: %v", err)
	}
	var services []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		services = append(services, s.GetName())
	}
	sort.Strings(services)

	in, out := []byte{}, []byte{}
	err = conn.Invoke(ctx, "/evpn.v1.DaemonService/GetStatus", &in, &out, grpc.ForceCodec(rawCodec{}))
	if err != nil {
		return fmt.Errorf("GetStatus: %v", err)
	}
	routerID, asn, err := status(out)
	if err != nil {
		return fmt.Errorf("GetStatus response: %v", err)
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]interface{}{
		"services": services, "router_id": routerID, "asn": asn,
	})
}

func main() {
	if len(os.Args) != 2 && len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: go_client unix:///path/to/socket [AUTHORITY]")
		os.Exit(2)
	}
	authority := ""
	if len(os.Args) == 3 {
		authority = os.Args[2]
	}
	if err := run(os.Args[1], authority); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
