package objectstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Access rights CheckAccess tries.
const (
	RightList   = "list"
	RightPut    = "put"
	RightDelete = "delete"
)

// AccessCheck is one right CheckAccess tried: Err is nil when it is granted.
type AccessCheck struct {
	Right string
	Err   error
}

// AccessReport is what CheckAccess found.
type AccessReport struct {
	Location string
	// Reachable is false when the store could not be reached at all (a
	// missing bucket, rejected credentials, no route): then Checks holds
	// only the first, failed, one.
	Reachable bool
	Checks    []AccessCheck
}

// Err is nil when every right was granted, else one error naming each
// missing right and why.
func (r AccessReport) Err() error {
	var errs []error
	var missing []string
	for _, c := range r.Checks {
		if c.Err != nil {
			missing = append(missing, c.Right)
			errs = append(errs, c.Err)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%s: cannot %s: %w", r.Location, strings.Join(missing, ", "), errors.Join(errs...))
}

// accessProbeDir is where the probe keys would be, beside etl's state.
const accessProbeDir = "_etl/access-check/"

// CheckAccess finds out whether the store is reachable and the credentials
// may list, put and delete under its root, without leaving anything behind,
// even if it is killed half-way: the put is conditional on an ETag no
// object has (the store checks the right before the condition, so a
// granted put fails its precondition and writes nothing), and the delete is
// of a key that does not exist (S3 answers 204 when allowed, 403 when not).
func CheckAccess(ctx context.Context, s Store) AccessReport {
	r := AccessReport{Location: s.Location(), Reachable: true}
	var listErr error
	for _, err := range s.List(ctx, accessProbeDir) {
		listErr = err
		break
	}
	r.Checks = append(r.Checks, AccessCheck{Right: RightList, Err: listErr})
	if listErr != nil && unreachable(listErr) {
		r.Reachable = false
		return r
	}

	probe := accessProbeDir + randomName()
	_, err := s.Put(ctx, probe, strings.NewReader("etl access check\n"), PutOptions{IfMatch: `"etl-access-check-matches-nothing"`})
	switch {
	case errors.Is(err, ErrPreconditionFailed), errors.Is(err, ErrNotFound):
		err = nil
	case err == nil:
		// A store that ignored the condition wrote the probe: remove it.
		if derr := s.Delete(ctx, probe); derr != nil {
			err = fmt.Errorf("the store wrote %s although the put was conditional, and could not delete it: %w", probe, derr)
		}
	}
	r.Checks = append(r.Checks, AccessCheck{Right: RightPut, Err: err})

	r.Checks = append(r.Checks, AccessCheck{Right: RightDelete, Err: s.Delete(ctx, probe)})
	return r
}

// unreachable: nothing else is worth trying after this error.
func unreachable(err error) bool {
	return errors.Is(err, ErrNoSuchBucket) || errors.Is(err, ErrCredentials) ||
		!(errors.Is(err, ErrAccessDenied) || errors.Is(err, ErrNotFound))
}

func randomName() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
