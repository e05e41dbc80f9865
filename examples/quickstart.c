/* examples/quickstart.c: the k3 quickstart in C, through the stable C ABI (k3/k3.h).
 *
 *   build/examples/k3_quickstart_c [DATA_DIR]      (default ./k3-data)
 *
 * Opens the data directory, creates the bucket "kb-demo-c" (reusing it when it exists), puts
 * a small object, reads it back, and lists the bucket through the JSON control plane. */
#include <stdio.h>
#include <string.h>

#include "k3/k3.h"

/* Prints a failed call's code and message, frees the message, and returns 1. */
static int report(const char* what, int rc, char* err) {
  fprintf(stderr, "%s failed: %s: %s\n", what, k3_status_str(rc), err != NULL ? err : "");
  k3_free(err);
  return 1;
}

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "./k3-data";
  const char* create = "{\"name\":\"kb-demo-c\"}";
  const char* list = "{\"bucket\":\"kb-demo-c\",\"prefix\":\"\"}";
  const char* text = "Hello from C!\n";
  k3_db* db = NULL;
  char* err = NULL;
  char* resp = NULL;
  char* etag = NULL;
  void* data = NULL;
  size_t len = 0;
  int rc;

  printf("k3 %s (header %s), data directory %s\n", k3_version(), K3_VERSION_STRING, path);
  rc = k3_open(path, NULL, &db, &err);
  if (rc != K3_OK) return report("k3_open", rc, err);

  /* The control plane: any RPC by name, JSON in and out. */
  rc = k3_call(db, "StorageService.CreateBucket", create, strlen(create), &resp, &len, &err);
  if (rc == K3_OK) {
    printf("created bucket: %s\n", resp);
  } else if (rc == K3_ALREADY_EXISTS) {
    printf("bucket kb-demo-c exists already\n");
    k3_free(err);
    err = NULL;
  } else {
    k3_close(&db);
    return report("CreateBucket", rc, err);
  }
  k3_free(resp);
  resp = NULL;

  /* The data plane: typed calls for object bytes. */
  rc = k3_put_object(db, "kb-demo-c", "hello.txt", text, strlen(text), "text/plain", &etag, &err);
  if (rc != K3_OK) {
    k3_close(&db);
    return report("k3_put_object", rc, err);
  }
  printf("put hello.txt, etag %s\n", etag);
  k3_free(etag);

  rc = k3_get_object(db, "kb-demo-c", "hello.txt", &data, &len, &err);
  if (rc != K3_OK) {
    k3_close(&db);
    return report("k3_get_object", rc, err);
  }
  printf("got %zu bytes: %.*s", len, (int)len, (const char*)data);
  k3_free(data);

  rc = k3_call(db, "StorageService.ListObjects", list, strlen(list), &resp, &len, &err);
  if (rc != K3_OK) {
    k3_close(&db);
    return report("ListObjects", rc, err);
  }
  printf("objects in kb-demo-c: %s\n", resp);
  k3_free(resp);

  k3_close(&db); /* db is NULL afterwards */
  return 0;
}
