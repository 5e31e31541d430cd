/** The panel's icon: a folder with a cloud, drawn with the theme's icon colours. */
import { LabIcon } from '@jupyterlab/ui-components';

const PROJECTS_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <path class="jp-icon3" fill="#616161" d="M10 4H4c-1.1 0-2 .9-2 2v12c0 1.1.9 2 2 2h16c1.1 0 2-.9 2-2V8c0-1.1-.9-2-2-2h-8l-2-2z"/>
  <path class="jp-icon-contrast0" fill="#fff" d="M15.5 12.2a2.6 2.6 0 0 0-4.9-.6 2.1 2.1 0 0 0 .3 4.2h4.4a1.8 1.8 0 0 0 .2-3.6z"/>
</svg>`;

export const projectsIcon = new LabIcon({
  name: 'aext-project-filebrowser:projects',
  svgstr: PROJECTS_SVG
});
