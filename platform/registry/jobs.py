"""rq jobs for registry pushes: they take ids and call the deploy service."""
from registry.deploys import pushed_image_deploy


def deploy_pushed_image(notification_id: int) -> None:
    pushed_image_deploy(notification_id)
