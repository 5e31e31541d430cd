/** Ids shared by the plugin, its commands and the tests. */
export const PLUGIN_ID = 'aext-project-filebrowser:plugin';
export const PANEL_ID = 'aext-projects-panel';

export namespace CommandIDs {
  export const openPanel = 'aext-projects:open-panel';
  export const newProject = 'aext-projects:new-project';
  export const refresh = 'aext-projects:refresh';
  export const syncCurrent = 'aext-projects:sync-current';
  export const pushCurrent = 'aext-projects:push-current';
  export const pullCurrent = 'aext-projects:pull-current';
  export const openFolder = 'aext-projects:open-folder';
  export const previewCurrent = 'aext-projects:preview-current';
  export const showVersions = 'aext-projects:show-versions';
}
