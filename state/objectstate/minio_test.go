package objectstate_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/stretchr/testify/require"

	"github.com/adoptionlabs/etl/objectstore"
	"github.com/adoptionlabs/etl/objectstore/s3"
	"github.com/adoptionlabs/etl/state"
	"github.com/adoptionlabs/etl/state/statetest"
	"github.com/adoptionlabs/etl/testsupport"
)

// minioPlace returns a function that opens, with a client of its own (as
// another process would), the S3 store on one fresh prefix of the test
// server.
func minioPlace(t *testing.T) func(t *testing.T) objectstore.Store {
	srv := testsupport.S3(t)
	u := objectstore.URL{Bucket: srv.Bucket, Prefix: srv.Prefix(t)}
	return func(t *testing.T) objectstore.Store {
		s, err := s3.Open(context.Background(), u, s3.Options{Config: &aws.Config{
			Region:       srv.Region,
			Credentials:  credentials.NewStaticCredentialsProvider(srv.Root.AccessKeyID, srv.Root.SecretAccessKey, ""),
			BaseEndpoint: aws.String(srv.Endpoint),
		}})
		require.NoError(t, err)
		return s
	}
}

func TestContractOnMinIO(t *testing.T) {
	testsupport.S3(t)
	places := map[string]func(t *testing.T) objectstore.Store{}
	statetest.StoreContract(t, func(t *testing.T) state.Store {
		open, ok := places[t.Name()]
		if !ok {
			open = minioPlace(t)
			places[t.Name()] = open
		}
		return openState(t, open(t))
	})
}

func TestLockRaceOnMinIO(t *testing.T) {
	testsupport.S3(t)
	lockRace(t, minioPlace)
}
