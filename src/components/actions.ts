/** What the views ask the JupyterLab side to do (dialogs, the file browser, documents). */
import type { ConflictDetail, Direction, Keep, Project } from '../api/types';

export interface IPanelActions {
  newProject(): Promise<void>;
  openFolder(project: Project): Promise<void>;
  openFile(project: Project, path: string): Promise<void>;
  previewPlan(project: Project, direction: Direction): Promise<void>;
  reviewGate(project: Project, direction: Direction, message: string): Promise<void>;
  compareConflict(project: Project, conflict: ConflictDetail): void;
  resolveConflict(project: Project, conflict: ConflictDetail, keep: Keep): Promise<void>;
  showVersions(project: Project, path: string): Promise<void>;
  share(project: Project): Promise<void>;
}
