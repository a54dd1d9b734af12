package inject

// EndpointsFile is the file name Rasa reads its endpoints from by default, and the name
// the webhook looks for in ConfigMap mounts.
const EndpointsFile = "endpoints.yml"

// Layout is how a ConfigMap delivers endpoints.yml into the assistant container.
type Layout string

const (
	// LayoutSubPath: one file of the volume mounted with subPath, as the Rasa Helm chart
	// does (mountPath /app/endpoints.yml, subPath endpoints.yml).
	LayoutSubPath Layout = "SubPath"
	// LayoutDirectory: the whole volume mounted as a directory that contains
	// endpoints.yml, next to the ConfigMap's other files.
	LayoutDirectory Layout = "Directory"
)

// Target is what Locate found: the assistant container and the one ConfigMap mount that
// delivers its endpoints.yml. It names exactly one ConfigMap for the caller to fetch.
type Target struct {
	// ContainerIndex and ContainerName identify the assistant in spec.containers.
	ContainerIndex int    `json:"containerIndex"`
	ContainerName  string `json:"containerName"`
	// MountIndex is the index of the endpoints.yml mount in the container's volumeMounts.
	MountIndex int `json:"mountIndex"`
	// VolumeName is the pod volume of that mount; it is a configMap volume.
	VolumeName string `json:"volumeName"`
	// ConfigMapName is the ConfigMap behind VolumeName, in the pod's namespace.
	ConfigMapName string `json:"configMapName"`
	// EndpointsPath is the path of endpoints.yml inside the volume, e.g. "endpoints.yml".
	EndpointsPath string `json:"endpointsPath"`
	// Key is the ConfigMap key whose content appears at EndpointsPath.
	Key string `json:"key"`
	// KeyFromItems is true when the volume's configMap.items map Key to EndpointsPath;
	// false when the volume has no items and every key is a file of the same name.
	KeyFromItems bool `json:"keyFromItems"`
	// Layout says how the mount delivers the file, and so how Mutate redirects it.
	Layout Layout `json:"layout"`
}
