import type Docker from 'dockerode';

/** Force-remove every container, running or not, that carries `label` (`key=value`); one already gone is no error. */
export async function removeContainersLabelled(docker: Docker, label: string): Promise<void> {
  const cs = await docker.listContainers({ all: true, filters: { label: [label] } });
  await Promise.all(
    cs.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => {}),
    ),
  );
}
