/*
 * The pod sandbox process of sparkplane's kube-lab node: holds a pod's namespaces open and
 * does nothing else. It is PID 1 of the sandbox, so it reaps whatever gets reparented to it,
 * and it exits 0 when the runtime stops the pod (SIGINT or SIGTERM).
 *
 * Build (static, so the image needs nothing but this file):
 *   gcc -Os -Wall -Werror -static -o pause pause.c     (Debian: apt-get install gcc libc6-dev)
 * scripts/images.sh build --pause builds it and the image sparkplane-lab/pause:1.
 */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig) {
  (void)sig;
  _exit(0);
}

static void on_child(int sig) {
  (void)sig;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop;
  if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0) {
    return 1;
  }
  sa.sa_handler = on_child;
  sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  if (sigaction(SIGCHLD, &sa, NULL) != 0) {
    return 2;
  }
  for (;;) {
    pause();
  }
}
